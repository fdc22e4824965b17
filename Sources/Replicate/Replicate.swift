public enum Replicate {}
