"""Media: uploaded images and the brand studio's template renderer (render.py: pure Pillow)."""
