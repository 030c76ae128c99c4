package io.github.onnxprune.eval;

/** Element type of a tensor, as ONNX's {@code TensorProto.DataType} numbers it. */
public enum TensorKind {
    /** 32-bit IEEE float. */
    FLOAT(1, "float32"),
    /** Unsigned 8-bit integer. */
    UINT8(2, "uint8"),
    /** Signed 8-bit integer. */
    INT8(3, "int8"),
    /** Unsigned 16-bit integer. */
    UINT16(4, "uint16"),
    /** Signed 16-bit integer. */
    INT16(5, "int16"),
    /** Signed 32-bit integer. */
    INT32(6, "int32"),
    /** Signed 64-bit integer. */
    INT64(7, "int64"),
    /** Variable-length string. */
    STRING(8, "string"),
    /** Boolean, one byte per element. */
    BOOL(9, "bool"),
    /** 16-bit IEEE float. */
    FLOAT16(10, "float16"),
    /** 64-bit IEEE float. */
    DOUBLE(11, "float64"),
    /** Unsigned 32-bit integer. */
    UINT32(12, "uint32"),
    /** Unsigned 64-bit integer. */
    UINT64(13, "uint64"),
    /** Brain float 16. */
    BFLOAT16(16, "bfloat16"),
    /** Any other ONNX element type (complex, float8, int4, ...) or a value that is not a tensor at all. */
    OTHER(-1, "other");

    private final int onnxDataType;
    private final String displayName;

    TensorKind(int onnxDataType, String displayName) {
        this.onnxDataType = onnxDataType;
        this.displayName = displayName;
    }

    /**
     * Maps an ONNX {@code TensorProto.DataType} number to its kind.
     *
     * @param onnxDataType the number stored in {@code elem_type} or {@code data_type}
     * @return the kind, {@link #OTHER} for types this package does not name
     */
    public static TensorKind fromOnnx(int onnxDataType) {
        for (TensorKind kind : values()) {
            if (kind.onnxDataType == onnxDataType && kind != OTHER) {
                return kind;
            }
        }
        return OTHER;
    }

    /** The ONNX {@code TensorProto.DataType} number, or -1 for {@link #OTHER}. */
    public int onnxDataType() {
        return onnxDataType;
    }

    /** The numpy-style name used in messages, for example {@code float32}. */
    public String displayName() {
        return displayName;
    }

    /** Whether validation data of this kind can be held in a {@link Tensor} and fed to ONNX Runtime. */
    public boolean isSupportedForData() {
        return this == FLOAT || this == DOUBLE || this == INT64 || this == INT32 || this == UINT8 || this == BOOL;
    }

    /** Whether values of this kind are integers (booleans count, as 0 and 1). */
    boolean isInteger() {
        return this == INT64 || this == INT32 || this == UINT8 || this == INT8 || this == UINT16
                || this == INT16 || this == UINT32 || this == UINT64 || this == BOOL;
    }

    /** Size of one element in bytes for the kinds a {@link Tensor} can hold. */
    int byteSize() {
        return switch (this) {
            case FLOAT, INT32 -> 4;
            case DOUBLE, INT64 -> 8;
            case UINT8, BOOL -> 1;
            default -> throw new IllegalStateException(displayName + " has no fixed in-memory size here");
        };
    }

    @Override
    public String toString() {
        return displayName;
    }
}
