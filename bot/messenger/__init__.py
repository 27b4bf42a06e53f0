"""The Messenger platform: what Facebook sends and how the Page answers, within Meta's rules.

    webhook.py           `/webhook`: the handshake, the signature, every event stored before the 200
    events.py            webhook events, from Facebook's batch to inbox rows and the typed `Event`
    replies.py           what the bot can say, typed, within Messenger's limits
    payloads.py          the payload kinds buttons carry, built and parsed in one place
    people.py            the people who wrote to the Page (`users`): profile, language, 24-hour window
    outbox.py            every message as a row first (`outbox`), and the window and tag rules
    sender.py            the outbox's sender: rate, order, retries, pauses
    graph.py             the Graph API client
    utility_messages.py  utility message templates outside the window, and Meta's verdicts
    alerts.py            operator alerts about the Page
    fake_graph.py        the fake Graph API (local mode, tests, benchmarks)
    simulator.py         Facebook's side of the webhook, for the chat, the tests and the benchmarks
    web_simulator.py     `/simulator` in local mode

It knows no feature: the engine (bot/) hands it events and replies, features never reach into it for data.
"""
