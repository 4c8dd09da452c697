"""The sandbox's trading partner: a retailer that exchanges X12 with Orderbridge by file drop
and AS2, with its own AS2 station and keys under var/sandbox/."""
