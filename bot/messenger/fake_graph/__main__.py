"""`python -m bot.messenger.fake_graph --port 8765`: the fake Graph API alone (benchmarks run it under load)."""
from .server import main

main()
