"""The risk register: risks detected from the portfolio's data."""
