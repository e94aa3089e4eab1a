"""System of record: teammates, accounts, contacts, interactions, signals, connections, opportunities."""
