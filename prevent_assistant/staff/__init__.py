"""Tools for the staff who keep the assistant's content current."""
