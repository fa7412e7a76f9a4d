"""Import and export of units and posts: the files, the import jobs and their pages."""
