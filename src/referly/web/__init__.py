"""The dashboard: pages for reps, CSMs and managers, served by the app itself (nothing from a CDN)."""
