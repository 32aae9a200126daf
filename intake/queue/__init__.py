"""The queue machines' feed (排队叫号): devices, their events, the derived ticket rows and the figures."""
