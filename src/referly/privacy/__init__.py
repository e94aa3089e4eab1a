"""A person's data across every domain: what we hold about them, and erasing it."""
