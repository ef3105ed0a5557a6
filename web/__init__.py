"""The people's side (issue 12): kiosk and guardian pages that call the five services' public APIs."""
