from django.dispatch import Signal

# Sent after load_areas changed the boundaries, so that records placed in areas are placed again.
areas_reloaded = Signal()
