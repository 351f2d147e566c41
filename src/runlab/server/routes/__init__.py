"""One module per REST resource; each exposes ``router`` (a FastAPI ``APIRouter``)."""
