"""Files the tool writes: atomic, private writes and the one JSON/CSV conversion of results."""
