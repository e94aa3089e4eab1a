"""Who may log in, with which role, and the personal API tokens that act for them."""
