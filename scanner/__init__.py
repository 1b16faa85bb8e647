"""camsweep: which cameras are on this network, and how exposed are they?"""

__version__ = "0.1.0"
