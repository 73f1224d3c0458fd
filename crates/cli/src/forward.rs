//! `AsyncWrite` methods that pass straight through to a wrapper's inner stream.

/// Implements, inside an `impl AsyncWrite for Wrapper`, the methods that only forward to the
/// field `$inner`: all five, or with `@rest` all but the two writes (for a wrapper that watches
/// what it writes).
macro_rules! forward_write {
    ($inner:ident) => {
        fn poll_write(
            mut self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            ::std::pin::Pin::new(&mut self.$inner).poll_write(cx, buf)
        }
        fn poll_write_vectored(
            mut self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
            bufs: &[::std::io::IoSlice<'_>],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            ::std::pin::Pin::new(&mut self.$inner).poll_write_vectored(cx, bufs)
        }
        $crate::forward::forward_write!(@rest $inner);
    };
    (@rest $inner:ident) => {
        fn is_write_vectored(&self) -> bool {
            self.$inner.is_write_vectored()
        }
        fn poll_flush(
            mut self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            ::std::pin::Pin::new(&mut self.$inner).poll_flush(cx)
        }
        fn poll_shutdown(
            mut self: ::std::pin::Pin<&mut Self>,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            ::std::pin::Pin::new(&mut self.$inner).poll_shutdown(cx)
        }
    };
}

pub(crate) use forward_write;
