"""The router stage: read the gateway's forwards (never write), tie them to what was found."""
