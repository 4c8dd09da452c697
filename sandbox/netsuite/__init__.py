"""The NetSuite SuiteTalk SOAP simulator: its own WSDL bundle, token checks, searches, writes."""
