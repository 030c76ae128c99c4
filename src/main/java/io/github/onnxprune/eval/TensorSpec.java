package io.github.onnxprune.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * Name, element type and declared shape of one model input or output.
 *
 * @param name the graph value's name
 * @param elementType its element type, {@link TensorKind#OTHER} for non-tensor values (sequences, maps)
 * @param shape declared dimensions with -1 for a dynamic or symbolic one; {@code null} when the model does not
 *     declare a rank
 */
public record TensorSpec(String name, TensorKind elementType, long[] shape) {

    /** Validates and defensively copies the shape. */
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(elementType, "elementType");
        shape = shape == null ? null : shape.clone();
    }

    /** The declared dimensions (a copy), -1 for dynamic ones, {@code null} when the rank is unknown. */
    @Override
    public long[] shape() {
        return shape == null ? null : shape.clone();
    }

    /** Whether the model declares the rank of this value. */
    public boolean hasKnownRank() {
        return shape != null;
    }

    /** The declared rank, or -1 when unknown. */
    public int rank() {
        return shape == null ? -1 : shape.length;
    }

    /** Whether the first (sample) dimension is dynamic; true when the rank is unknown, false for scalars. */
    public boolean firstDimensionDynamic() {
        return shape == null || (shape.length > 0 && shape[0] < 0);
    }

    /** The shape as users read it, for example {@code [N, 64]}. */
    public String displayShape() {
        return Shapes.formatExpected(shape);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorSpec that
                && name.equals(that.name)
                && elementType == that.elementType
                && Arrays.equals(shape, that.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, elementType, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + ": " + elementType.displayName() + " " + displayShape();
    }
}
