"""The console's areas, one ``APIRouter`` each."""
