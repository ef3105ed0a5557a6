"""What every enrollment router shares: id and name types, role guards, bodies, and running a command once."""
