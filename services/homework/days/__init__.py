"""The class teacher's day and week (HW-4): each subject's minutes, the room left under the caps, who is to assign."""
