import Vapor
public enum ReplicateEmulator {}
