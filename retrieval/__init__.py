"""The read side: a question in, quoted and sourced passages out (hybrid search, marking,
abstention, rendering for Telegram HTML and the terminal)."""
