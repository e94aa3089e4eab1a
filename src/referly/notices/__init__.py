"""What needs a teammate: in-app notifications and the daily digest by mail."""
