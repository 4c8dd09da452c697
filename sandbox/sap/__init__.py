"""The SAP simulator: the ZOB_SD_ORDERBRIDGE SOAP service (sales order BAPIs and ZOB_* reads)."""

from sandbox.registry import Simulator
from sandbox.sap.app import make_app, on_reset

simulator = Simulator(
    system="sap",
    hosts=("my300000-api.s4hana.cloud.sap",),
    make_app=make_app,
    on_reset=on_reset,
)
