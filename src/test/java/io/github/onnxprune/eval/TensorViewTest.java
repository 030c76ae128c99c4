package io.github.onnxprune.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class TensorViewTest {

    @Test
    void aFloatViewReadsTheElementsInPlaceAndCannotChangeThem() {
        Tensor tensor = Tensor.ofFloats(new long[] {2, 2}, 1f, 2f, 3f, 4f);

        FloatBuffer view = tensor.floatView();

        assertEquals(4, view.limit());
        assertEquals(3f, view.get(2));
        assertTrue(view.isReadOnly());
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, 9f));
        // Two views share the tensor's one array: no copy is made per view, unlike data().
        assertTrue(tensor.floatView().equals(view));
        assertEquals(1f, tensor.floatView().get(0));
    }

    @Test
    void onlyAFloatTensorHasAFloatView() {
        Tensor longs = Tensor.ofLongs(new long[] {2}, 1L, 2L);

        assertThrows(IllegalStateException.class, longs::floatView);
    }
}
