"""Domain state built from events: votes, NIC state, kernel log, hang episodes. No Textual."""
