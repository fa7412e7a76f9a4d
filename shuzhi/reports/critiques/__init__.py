"""点评: critiques of a reporter by the host secretary or leadership-team members."""
