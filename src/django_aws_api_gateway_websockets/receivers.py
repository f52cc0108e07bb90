"""Signal receivers of the app (logout closes connections: see messaging work)."""
