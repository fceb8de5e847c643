"""Judged ``Then`` steps: the model judge and its sealed verdict cache (``judges``) and how a
trial asks for a verdict (``wiring``). May import steps, outcomes, the scenario model and the store.
"""
