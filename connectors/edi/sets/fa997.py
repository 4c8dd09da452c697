"""997 Functional Acknowledgment (004010 and 005010): what a receiver says of each group and
set it was sent."""

from connectors.edi.declaration import SetDeclaration, elements, layout

LAYOUT = """
AK1 M 1
LOOP O >1
  AK2 M 1
  LOOP O >1
    AK3 M 1
    AK4 O 99
  AK5 M 1
AK9 M 1
"""
ELEMENTS = """
AK1: 01 M ID 2-2, 02 M N0 1-9, 03 O AN 1-12
AK2: 01 M ID 3-3, 02 M AN 4-9, 03 O AN 1-35
AK3: 01 M ID 2-3, 02 M N0 1-10, 03 O AN 1-6, 04 O ID 1-3
AK4: 01 M C 1-99, 02 O N0 1-4, 03 M ID 1-3, 04 O AN 1-99
AK5: 01 M ID 1-1 A|E|M|R|W|X, 02-06 O ID 1-3
AK9: 01 M ID 1-1 A|E|M|P|R|W|X, 02-04 M N0 1-6, 05-09 O ID 1-3
"""
DECLARATION = SetDeclaration("997", "Functional Acknowledgment", layout(LAYOUT), elements(ELEMENTS))
