"""Read API (FastAPI) and the server-rendered story page."""
