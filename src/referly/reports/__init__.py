"""Reports and reviews: figures with evidence labels, frozen monthly."""
