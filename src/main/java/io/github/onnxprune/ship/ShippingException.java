package io.github.onnxprune.ship;

import java.io.IOException;

/** A problem with where the results go that the user can fix; its message is one paragraph saying how. */
public class ShippingException extends IOException {

    private static final long serialVersionUID = 1L;

    /** A failure with a message that stands alone. */
    public ShippingException(String message) {
        super(message);
    }
}
