"""People and their posts (任职) in the units of the tree."""
