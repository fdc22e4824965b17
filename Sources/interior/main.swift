import ArgumentParser
import InteriorServer
import ReplicateEmulator
print("interior")
