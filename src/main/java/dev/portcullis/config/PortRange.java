package dev.portcullis.config;

/** An inclusive range of TCP ports, written {@code LO-HI}. */
public record PortRange(int low, int high) {

    public PortRange {
        if (low < 1024 || high > 65535 || low > high) {
            throw new IllegalArgumentException("expected LO-HI with 1024 <= LO <= HI <= 65535");
        }
    }

    public static PortRange parse(String text) {
        String[] parts = text.strip().split("-", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("expected LO-HI with 1024 <= LO <= HI <= 65535");
        }
        try {
            return new PortRange(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected LO-HI with 1024 <= LO <= HI <= 65535");
        }
    }

    public int size() {
        return high - low + 1;
    }

    @Override
    public String toString() {
        return low + "-" + high;
    }
}
