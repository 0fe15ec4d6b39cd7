"""kiosk: an offline Dutch voice guide to the KNGF knee and hip osteoarthritis leaflet."""

__version__ = "0.1.0"
