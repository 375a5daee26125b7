"""The local application: a project's functions, HTTP routes and resources running on this machine."""
