"""850 Purchase Order (004010, with 004030's MTX notes; later versions read the same
here): a retailer's order, its parties in N1 loops and its lines in PO1 loops."""

from connectors.edi.declaration import SetDeclaration, elements, layout

LAYOUT = """
BEG M 1
CUR O 1
REF O >1
PER O 3
TAX O >1
FOB O >1
CTP O >1
PAM O 10
CSH O 5
TC2 O >1
LOOP O 25
  SAC M 1
  CUR O 1
ITD O >1
DIS O 20
INC O 1
DTM O 10
LDT O 12
LIN O 5
SI O >1
PID O 200
MEA O 40
PWK O 25
PKG O 200
TD1 O 2
TD5 O 12
TD3 O 12
TD4 O 5
MAN O 10
PCT O >1
CTB O 5
TXI O >1
LOOP O 1000
  N9 M 1
  DTM O >1
  MSG O 1000
  MTX O >1
LOOP O 200
  N1 M 1
  N2 O 2
  N3 O 2
  N4 O >1
  NX2 O >1
  REF O 12
  PER O >1
  SI O >1
  FOB O 1
  TD1 O 2
  TD5 O 12
  TD3 O 12
  TD4 O 5
  PKG O 200
LOOP M 100000
  PO1 M 1
  LIN O >1
  SI O >1
  CUR O 1
  CN1 O 1
  PO3 O 25
  LOOP O >1
    CTP M 1
    CUR O 1
  PAM O 10
  MEA O 40
  LOOP O 1000
    PID M 1
    MEA O 10
  PWK O 25
  PO4 O >1
  REF O >1
  PER O 3
  LOOP O 25
    SAC M 1
    CUR O 1
    CTP O 1
  IT8 O 1
  CSH O >1
  ITD O 2
  DIS O 20
  INC O 1
  TAX O >1
  FOB O >1
  SDQ O 500
  IT3 O 5
  DTM O 10
  TC2 O >1
  TD1 O 1
  TD5 O 12
  TD3 O 12
  TD4 O 5
  PCT O >1
  MAN O 10
  MSG O >1
  SPI O >1
  TXI O >1
  CTB O >1
  LOOP O >1
    QTY M 1
    SI O >1
  LOOP O 200
    SCH M 1
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
    REF O >1
  LOOP O 200
    N1 M 1
    N2 O 2
    N3 O 2
    N4 O 1
    QTY O >1
    NX2 O >1
    REF O 12
    PER O 3
    SI O >1
    DTM O 1
    FOB O 1
    SCH O 200
    TD1 O 2
    TD5 O 12
    TD3 O 12
    TD4 O 5
    PKG O 200
  LOOP O 1000
    SLN M 1
    MSG O >1
    SI O >1
    PID O 1000
    PO3 O 104
    TC2 O >1
    ADV O >1
    DTM O 10
    CTP O 25
    PAM O 10
    PO4 O 1
    TAX O 3
    N9 O >1
    SAC O 25
    QTY O >1
    N1 O 10
  LOOP O >1
    AMT M 1
    REF O 1
    PCT O >1
LOOP O 1
  CTT M 1
  AMT O 1
"""
ELEMENTS = """
BEG: 01 M ID 2-2, 02 M ID 2-2, 03 M AN 1-22, 04 O AN 1-30, 05 M DT 6-8, 06 O AN 1-30,
    07-12 O AN 1-30
CUR: 01 M ID 2-3, 02 M ID 3-3, 03-21 O AN 1-35
REF: 01 M ID 2-3, 02 O AN 1-50, 03 O AN 1-80, 04 O C 1-999
PER: 01 M ID 2-2, 02 O AN 1-60, 03 O ID 2-2, 04 O AN 1-256, 05 O ID 2-2, 06 O AN 1-256,
    07 O ID 2-2, 08 O AN 1-256, 09 O AN 1-20
FOB: 01 M ID 2-2, 02-09 O AN 1-80
ITD: 01 O ID 2-2, 02 O ID 1-2, 03 O R 1-6, 04 O DT 6-8, 05 O N0 1-3, 06 O DT 6-8, 07 O N0 1-3,
    08 O N2 1-10, 09 O N2 1-10, 10 O N2 1-10, 11 O N0 1-5, 12 O AN 1-80, 13 O N0 1-2,
    14 O ID 1-2, 15 O R 1-10
DTM: 01 M ID 3-3, 02 O DT 6-8, 03 O TM 4-8, 04 O ID 2-2, 05 O ID 2-3, 06 O AN 1-35
TD5: 01 O ID 1-2, 02 O ID 1-2, 03 O AN 2-80, 04 O ID 1-2, 05 O AN 1-35, 06-15 O AN 1-80
N9: 01 M ID 2-3, 02 O AN 1-50, 03 O AN 1-45, 04 O DT 6-8, 05 O TM 4-8, 06 O ID 2-2, 07 O C 1-999
MSG: 01 M AN 1-264, 02 O ID 2-2, 03 O N0 1-9
N1: 01 M ID 2-3, 02 O AN 1-60, 03 O ID 1-2, 04 O AN 2-80, 05 O ID 2-2, 06 O ID 2-3
N2: 01 M AN 1-60, 02 O AN 1-60
N3: 01 M AN 1-55, 02 O AN 1-55
N4: 01 O AN 2-30, 02 O ID 2-2, 03 O ID 3-15, 04 O ID 2-3, 05 O ID 1-2, 06 O AN 1-30, 07 O ID 2-3
PO1: 01 O AN 1-20, 02 O R 1-15, 03 O ID 2-2, 04 O R 1-17, 05 O ID 2-2, 06-25 O AN 1-48
PID: 01 M ID 1-1, 02 O ID 2-3, 03 O ID 2-3, 04 O AN 1-12, 05 O AN 1-80, 06 O ID 2-3,
    07 O AN 1-15, 08 O ID 1-1, 09 O ID 2-3
PO4: 01 O N0 1-6, 02 O R 1-8, 03 O ID 2-2, 04-18 O AN 1-80
SAC: 01 M ID 1-1, 02 O ID 4-4, 03 O ID 2-2, 04 O AN 1-10, 05 O N2 1-15, 06 O ID 1-1, 07 O R 1-6,
    08 O R 1-9, 09 O ID 2-2, 10 O R 1-15, 11 O R 1-15, 12 O ID 2-2, 13 O AN 1-30, 14 O AN 1-2,
    15 O AN 1-80, 16 O ID 1-3
CTT: 01 M N0 1-6, 02 O R 1-10, 03 O R 1-10, 04 O ID 2-2, 05 O R 1-8, 06 O ID 2-2, 07 O AN 1-80
AMT: 01 M ID 1-3, 02 M R 1-18, 03 O ID 1-1
"""
DECLARATION = SetDeclaration("850", "Purchase Order", layout(LAYOUT), elements(ELEMENTS))
