"""Faithful local simulators of every external system, and the frame they plug into.

Imports nothing of Orderbridge's own: connectors reach the simulators through the requests
transport adapter (`SandboxAdapter`) or over loopback HTTPS (`sandbox.serve`). See README.md.
"""

from sandbox.frame import SandboxAdapter
from sandbox.registry import SIMULATORS, Simulator, load_simulators
from sandbox.state import NotSeededError, SandboxState
from sandbox.world import World, build_world

__all__ = [
    "SIMULATORS",
    "NotSeededError",
    "SandboxAdapter",
    "SandboxState",
    "Simulator",
    "World",
    "build_world",
    "load_simulators",
]
