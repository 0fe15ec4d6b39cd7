"""The application: the live loop (runner), configuration, statistics and the matcher cache."""
