"""The sponsor's side: a private signed link to a page of their own, and the double opt-in of whom they name."""
