"""Multi-step jobs over the library (quickstart, layer sweep, attention heads); the commands are thin faces."""
