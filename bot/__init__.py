"""The Telegram front end: handlers, jobs and the one function that wires the Application."""
