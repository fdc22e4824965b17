import Vapor
import Fluent
import FluentSQLiteDriver
import FluentPostgresDriver
import JWTKit
import Prometheus
import InteriorCore
import Imaging
import Storage
import Replicate
public enum InteriorServer {}
