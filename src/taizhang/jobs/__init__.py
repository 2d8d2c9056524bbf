"""Jobs: a workspace and a date in, a whole day's work done out.

The unattended daily run (`daily`), the demo, `doctor` and `init` (`workspace`).
"""
