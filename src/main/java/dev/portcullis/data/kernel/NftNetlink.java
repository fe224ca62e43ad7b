package dev.portcullis.data.kernel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * nf_tables netlink messages that add and delete a mapping's two set elements in one batch: the
 * same transaction {@code nft} would send, without nft's parser and ruleset cache (about a
 * millisecond of CPU per command). Pure encoding and decoding, tested against the bytes nft itself
 * writes; {@link NetlinkMappings} sends them.
 *
 * <p>Layout (linux/netfilter/nfnetlink.h, nf_tables.h): a batch is BATCH_BEGIN, the element
 * messages, BATCH_END; each message is an nlmsghdr, an nfgenmsg and attributes. Concatenated keys
 * and values put each field in a 32-bit register: an IPv4 address in 4 bytes, a port in 2 bytes
 * (network order) and 2 of padding.
 */
final class NftNetlink {

    static final int NETLINK_NETFILTER = 12;
    private static final int NLMSG_ERROR = 2;
    private static final int NFNL_MSG_BATCH_BEGIN = 0x10;
    private static final int NFNL_MSG_BATCH_END = 0x11;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFT_MSG_NEWSETELEM = 12;
    private static final int NFT_MSG_DELSETELEM = 14;
    private static final int NLM_F_REQUEST = 0x1;
    private static final int NLM_F_ACK = 0x4;
    private static final int NLM_F_CREATE = 0x400;
    private static final int NLA_F_NESTED = 0x8000;
    private static final int NFPROTO_IPV4 = 2;
    private static final int NFTA_SET_ELEM_LIST_TABLE = 1;
    private static final int NFTA_SET_ELEM_LIST_SET = 2;
    private static final int NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    private static final int NFTA_LIST_ELEM = 1;
    private static final int NFTA_SET_ELEM_KEY = 1;
    private static final int NFTA_SET_ELEM_DATA = 2;
    private static final int NFTA_SET_ELEM_TIMEOUT = 4;
    private static final int NFTA_DATA_VALUE = 1;

    /** Element messages in a batch (each acknowledged). */
    static final int MESSAGES_PER_BATCH = 2;

    private NftNetlink() {
    }

    /**
     * BATCH_BEGIN, NEWSETELEM data_snat, NEWSETELEM data_dnat, BATCH_END (seq, seq + 1 ... seq + 3),
     * written into {@code b} (native order, at least 1 KiB) from its start; returns it flipped.
     */
    static ByteBuffer add(ByteBuffer b, String table, NatMapping m, Duration ttl, int seq) {
        b.clear();
        batchMarker(b, NFNL_MSG_BATCH_BEGIN, seq);
        element(b, NFT_MSG_NEWSETELEM, table, NftScript.SNAT_MAP, key(m), ipv4(m.source()), ttl, seq + 1);
        element(b, NFT_MSG_NEWSETELEM, table, NftScript.DNAT_MAP, key(m), addressAndPort(m), ttl, seq + 2);
        batchMarker(b, NFNL_MSG_BATCH_END, seq + 3);
        return b.flip();
    }

    /** BATCH_BEGIN, DELSETELEM data_dnat, DELSETELEM data_snat, BATCH_END, written as {@link #add} writes. */
    static ByteBuffer remove(ByteBuffer b, String table, NatMapping m, int seq) {
        b.clear();
        batchMarker(b, NFNL_MSG_BATCH_BEGIN, seq);
        element(b, NFT_MSG_DELSETELEM, table, NftScript.DNAT_MAP, key(m), null, null, seq + 1);
        element(b, NFT_MSG_DELSETELEM, table, NftScript.SNAT_MAP, key(m), null, null, seq + 2);
        batchMarker(b, NFNL_MSG_BATCH_END, seq + 3);
        return b.flip();
    }

    /** The key both maps share: client . public address . public port, one 32-bit register each. */
    static byte[] key(NatMapping m) {
        ByteBuffer k = ByteBuffer.allocate(12);
        k.put(m.client().getAddress()).put(m.publicAddress().getAddress()).putShort((short) m.publicPort()).putShort((short) 0);
        return k.array();
    }

    private static byte[] addressAndPort(NatMapping m) {
        ByteBuffer v = ByteBuffer.allocate(8);
        v.put(m.backend().getAddress()).putShort((short) m.backendPort()).putShort((short) 0);
        return v.array();
    }

    private static byte[] ipv4(java.net.Inet4Address a) {
        return a.getAddress();
    }

    private static void batchMarker(ByteBuffer b, int type, int seq) {
        int start = header(b, type, NLM_F_REQUEST, seq);
        b.put((byte) 0).put((byte) 0).putShort(Short.reverseBytes((short) NFNL_SUBSYS_NFTABLES)); // nfgenmsg, res_id big-endian
        fixLength(b, start);
    }

    private static void element(ByteBuffer b, int msg, String table, String set, byte[] key, byte[] data, Duration ttl, int seq) {
        int flags = NLM_F_REQUEST | NLM_F_ACK | (msg == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
        int start = header(b, (NFNL_SUBSYS_NFTABLES << 8) | msg, flags, seq);
        b.put((byte) NFPROTO_IPV4).put((byte) 0).putShort((short) 0);
        string(b, NFTA_SET_ELEM_LIST_TABLE, table);
        string(b, NFTA_SET_ELEM_LIST_SET, set);
        int elements = nest(b, NFTA_SET_ELEM_LIST_ELEMENTS);
        int element = nest(b, NFTA_LIST_ELEM);
        int k = nest(b, NFTA_SET_ELEM_KEY);
        bytes(b, NFTA_DATA_VALUE, key);
        end(b, k);
        if (data != null) {
            int d = nest(b, NFTA_SET_ELEM_DATA);
            bytes(b, NFTA_DATA_VALUE, data);
            end(b, d);
        }
        if (ttl != null) {
            ByteBuffer ms = ByteBuffer.allocate(8).putLong(Math.max(1000, ttl.toMillis())); // be64 milliseconds
            bytes(b, NFTA_SET_ELEM_TIMEOUT, ms.array());
        }
        end(b, element);
        end(b, elements);
        fixLength(b, start);
    }

    private static int header(ByteBuffer b, int type, int flags, int seq) {
        int start = b.position();
        b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
        return start;
    }

    private static void fixLength(ByteBuffer b, int start) {
        b.putInt(start, b.position() - start);
    }

    private static void string(ByteBuffer b, int type, String s) {
        byte[] text = s.getBytes(StandardCharsets.US_ASCII);
        byte[] z = java.util.Arrays.copyOf(text, text.length + 1);
        bytes(b, type, z);
    }

    private static void bytes(ByteBuffer b, int type, byte[] value) {
        b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
        pad(b);
    }

    private static int nest(ByteBuffer b, int type) {
        int start = b.position();
        b.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
        return start;
    }

    private static void end(ByteBuffer b, int start) {
        b.putShort(start, (short) (b.position() - start));
    }

    private static void pad(ByteBuffer b) {
        while (b.position() % 4 != 0) {
            b.put((byte) 0);
        }
    }

    /**
     * Reads the kernel's answers in {@code b} (one datagram, native order): for each NLMSG_ERROR,
     * calls {@code onAnswer} with its sequence number and errno (0: done).
     *
     * @return how many answers were found
     */
    static int answers(ByteBuffer b, java.util.function.BiConsumer<Integer, Integer> onAnswer) {
        int found = 0;
        while (b.remaining() >= 16) {
            int start = b.position();
            int len = b.getInt(start);
            int type = b.getShort(start + 4) & 0xffff;
            int seq = b.getInt(start + 8);
            if (len < 16 || len > b.remaining()) {
                break;
            }
            if (type == NLMSG_ERROR && len >= 20) {
                // nlmsgerr: int error (negative errno, 0 for an acknowledgement), then the request's header.
                // The answer carries the request's sequence number.
                onAnswer.accept(seq, -b.getInt(start + 16));
                found++;
            }
            b.position(start + ((len + 3) & ~3));
        }
        return found;
    }
}
