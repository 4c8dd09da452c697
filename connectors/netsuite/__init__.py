"""NetSuite over SuiteTalk SOAP with token-based authentication.

`client` speaks the wire protocol (the only module importing zeep), `replies` reads replies
with lxml whatever their namespace version, `records` maps them to and from canonical records,
`connector` implements our contract.
"""
